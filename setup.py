"""Builds the compiled core (sim/_compiled.py): the hot modules, unchanged, through Cython.

Everything else about the package is in pyproject.toml. The extensions are optional: a
machine without a C compiler gets the pure-Python package, and JAMBI_SIM_NO_COMPILE=1
skips them on purpose.
"""

import os
import runpy

from setuptools import Extension, setup

modules = runpy.run_path(os.path.join("sim", "_compiled.py"), run_name="_compiled_list")[
    "COMPILED_MODULES"]

ext_modules = []
if os.environ.get("JAMBI_SIM_NO_COMPILE", "") in ("", "0"):
    try:
        from Cython.Build import cythonize
    except ImportError:  # build requirements not honoured: stay pure Python
        cythonize = None
    if cythonize is not None:
        ext_modules = cythonize(
            [Extension(name, [name.replace(".", "/") + ".py"], optional=True)
             for name in modules],
            language_level=3, quiet=True,
            # plain Python semantics: checked division, wraparound, no type inference
            # beyond what Cython proves safe (the results equal the .py's; tests check)
            compiler_directives={"binding": True, "embedsignature": False},
        )

# build the extensions on every core (the C compiles dominate the install's time)
setup(ext_modules=ext_modules, options={"build_ext": {"parallel": os.cpu_count() or 1}})
