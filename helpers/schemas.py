"""The HTTP API's request and response models (pydantic), built when a server is made, so that
importing the course's helpers does not import pydantic. A user's correction is strict: its
offsets, types and scores are taken as sent or refused, never coerced.

Imports: none.
"""

from __future__ import annotations


def answers():
    """The response models, and ``Entity`` (also what a correction says the model found)."""
    from types import SimpleNamespace

    from pydantic import BaseModel, ConfigDict, Field

    class Versioned(BaseModel):  # every answer names the served model's version
        model_version: str

    class Strict(BaseModel):  # a user's correction is stored as sent or refused, never coerced
        model_config = ConfigDict(strict=True)  # "5" is no offset, true is no 1

    class Entity(Strict):
        text: str
        type: str
        start: int = Field(ge=0)
        end: int = Field(ge=0)
        score: float = Field(ge=0, le=1)

    class Result(BaseModel):
        entities: list[Entity]

    class EntitiesResponse(Versioned):
        model_id: str
        results: list[Result]

    class CorrectionResponse(Versioned):
        saved: bool
        id: str
        tokens: list[str]
        tags: list[str]

    class Health(Versioned):
        status: str
        model_id: str
        precision: str
        device: str
        labels: list[str]
        limits: dict

    class Problem(Versioned):
        detail: str

    return SimpleNamespace(**{name: c for name, c in locals().items() if isinstance(c, type)
                              and issubclass(c, BaseModel) and c is not BaseModel})


def schemas(limits):
    """The request and response models; ``limits`` (``serve.Limits``) fill their descriptions."""
    from types import SimpleNamespace

    from pydantic import BaseModel, Field, field_validator

    made = answers()

    class Span(made.Strict):
        start: int = Field(ge=0, description="first character (0-based)")
        end: int = Field(gt=0, description="one past the last character")
        type: str

    class EntitiesRequest(BaseModel):
        texts: str | list[str] = Field(description=f"one text or a list of up to "
                                                   f"{limits.max_texts}, each up to "
                                                   f"{limits.max_chars} characters",
                                       examples=[["took 400mg ibuprofen for a headache at 9am"]])

    class CorrectionRequest(made.Strict):
        text: str = Field(min_length=1)
        entities: list[Span] = Field(description="every entity the text should have, corrected")
        model_version: str = Field(max_length=64, description="the version that was corrected")
        predicted: list[made.Entity] = Field(default=[], description="what that model found")
        source: str = Field(default="api", max_length=32)

        @field_validator("text")
        @classmethod
        def has_words(cls, text: str) -> str:
            if not text.strip():
                raise ValueError("the text is only white space: there is nothing to correct")
            return text

    return SimpleNamespace(**vars(made), Span=Span, EntitiesRequest=EntitiesRequest,
                           CorrectionRequest=CorrectionRequest)
