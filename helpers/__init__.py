"""Lab to Launch course helpers: one module per job; helpers/README.md has the map.

Modules are imported on demand (``from helpers import env``) so that importing the package
stays instant; a module's docstring ends with the course modules it may import.

Imports: none.
"""

__version__ = "0.1.0"
