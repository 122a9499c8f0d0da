"""Builds the compiled core (sim/_compiled.py): the hot modules, unchanged, through Cython.

Everything else about the package is in pyproject.toml. The extensions are optional: a
machine without a C compiler gets the pure-Python package, and JAMBI_SIM_NO_COMPILE=1
skips them on purpose.

Beside the extensions the build writes ``sim/_core_digest.json``: the SHA-256 of the
``.py`` and ``.pxd`` each extension was compiled from, so the import uses an extension
only while those are the sources beside it (sim/_compiled.py). It goes where the
extensions go: into the source tree for an editable install, into the wheel otherwise.
"""

import json
import os
import runpy
import threading

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_compiled = runpy.run_path(os.path.join("sim", "_compiled.py"), run_name="_compiled_list")
modules = _compiled["COMPILED_MODULES"]

# Hashed before Cython reads the sources: a file edited during the build then fails the
# import's check (loaded from source), instead of passing it with an extension of the
# older text.
SOURCES = _compiled["source_digest"](os.path.abspath("."), modules)


class BuildExtWithDigest(build_ext):
    """build_ext that records the sources of the extensions it built (or found up to
    date). A module whose extension failed to build (they are optional) is left out of
    the record, so an older extension of it still lying in the tree is not trusted."""

    def run(self):
        self._built = set()
        self._lock = threading.Lock()
        super().run()
        if not self.extensions:
            return
        record = {"version": 1,
                  "modules": {n: SOURCES[n] for n in sorted(self._built) if n in SOURCES}}
        target = self._digest_path()
        self.mkpath(os.path.dirname(target))
        with open(target, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.write("\n")

    def build_extension(self, ext):
        super().build_extension(ext)  # raises if it failed (then caught for optional ones)
        with self._lock:
            self._built.add(ext.name)

    def _digest_path(self):
        name = _compiled["DIGEST_NAME"]
        if self.inplace:  # editable install / build_ext --inplace: beside the sources
            package_dir = self.get_finalized_command("build_py").get_package_dir("sim")
            return os.path.join(package_dir, name)
        return os.path.join(self.build_lib, "sim", name)

    def get_outputs(self):
        outputs = super().get_outputs()
        if self.extensions:
            outputs.append(os.path.join(self.build_lib, "sim", _compiled["DIGEST_NAME"]))
        return outputs


# Each double operation rounded on its own, as Python rounds it: a C compiler may fuse a
# multiply and an add into one instruction (FMA: GCC by default where the target has it,
# aarch64 or -march=native), which rounds once and can change the last bit of a result
# that the .py computes with two roundings. (MSVC does not fuse without /fp:fast.)
NO_FMA = [] if os.name == "nt" else ["-ffp-contract=off"]



def _numpy_c(links):
    """numpy's headers for every module (a .pxd that cimports sim.engine.scalars sees
    numpy's types), and for a module that calls numpy.random's C distributions, its static
    library of them (libnpyrandom, shipped in numpy's wheel for this use). numpy is a
    build requirement (pyproject.toml)."""
    import numpy

    out = {"include_dirs": [numpy.get_include()],
           "define_macros": [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]}
    if links:
        out["library_dirs"] = [os.path.join(os.path.dirname(numpy.__file__), "random", "lib")]
        out["libraries"] = ["npyrandom"]
    return out


ext_modules = []
if os.environ.get("JAMBI_SIM_NO_COMPILE", "") in ("", "0"):
    try:
        from Cython.Build import cythonize
    except ImportError:  # build requirements not honoured: stay pure Python
        cythonize = None
    if cythonize is not None:
        ext_modules = cythonize(
            [Extension(name, [name.replace(".", "/") + ".py"], optional=True,
                       extra_compile_args=NO_FMA,
                       **_numpy_c(links=name == "sim.engine.scalars"))
             for name in modules],
            language_level=3, quiet=True,
            # plain Python semantics: checked division, wraparound, no type inference
            # beyond what Cython proves safe (the results equal the .py's; tests check)
            compiler_directives={"binding": True, "embedsignature": False},
        )

# build the extensions on every core (the C compiles dominate the install's time)
setup(ext_modules=ext_modules, cmdclass={"build_ext": BuildExtWithDigest},
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
