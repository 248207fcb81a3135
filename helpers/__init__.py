"""Lab to Launch course helpers: one module per stage of the course.

- ``env``       — profile, device, precision, seeding, hub access, which model to load
- ``exercises`` — "your turn" checks with specific feedback and revealable solutions
- ``course``    — runs the notebooks headless (``make course``) and reports key results

Modules are imported on demand (``from helpers import env``) so that importing the package
stays instant.
"""

__version__ = "0.1.0"
