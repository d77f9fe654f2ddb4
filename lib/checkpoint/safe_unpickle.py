"""An unpickler that builds tensors, storages and plain containers, and nothing that runs a file's code.

Checkpoints of the original SeqTrack code hold pickled instances of that code's classes (its settings, its
statistics meters), which ``torch.load(weights_only=True)`` refuses and a plain unpickling would import and
run. This module is a ``pickle_module`` for ``torch.load``: torch keeps reading the tensor data the way it
always does, while every global the pickle names goes through :meth:`Unpickler.find_class`, which

- returns the real object only for an allowlist: torch's tensor and storage rebuild functions, dtypes,
  ``torch.Size`` / ``torch.device``, ``collections.OrderedDict`` and the plain builtin containers;
- refuses, with an error naming it, anything that can run code (``os.system``, ``builtins.eval``,
  ``subprocess.*``, any other ``torch.*`` global ...);
- turns any other name into an inert placeholder class. Nothing is imported. A placeholder may be
  instantiated the way pickle rebuilds a plain object (``NEWOBJ`` then ``BUILD``, ``SETITEMS``, ``APPENDS``),
  which only records the pickled state; *calling* it (``REDUCE``, ``INST``: a function call in the file) is
  refused, since the real global might be any function.

Use it as ``torch.load(path, map_location='cpu', pickle_module=lib.checkpoint.safe_unpickle, weights_only=False)``
(``weights_only=False`` only lets torch accept a custom ``pickle_module``; the unpickling is this module's),
or through :func:`lib.checkpoint.original.safe_torch_load`.
"""

from __future__ import annotations

import _compat_pickle
import collections
import pickle
from typing import Any

import torch

__all__ = ["Placeholder", "RefusedPickleError", "Unpickler", "load", "loads"]


class RefusedPickleError(pickle.UnpicklingError):
    """A pickle that asks for a global which could run code: it is not loaded (none of it ran)."""


# ------------------------------------------------------------------------------------------ placeholders
class _PlaceholderMeta(type):
    """Metaclass of the placeholders: calling one means the file calls an unknown global, which is refused."""

    def __call__(cls, *args, **kwargs):
        raise RefusedPickleError(
            f"the file calls {cls.pickled_module}.{cls.pickled_name}(...), which is not allowed (only tensors, "
            f"storages and plain containers are rebuilt; objects of other classes are kept as inert placeholders "
            f"but never constructed by a call)")

    def __repr__(cls) -> str:
        return f"<placeholder class {cls.pickled_module}.{cls.pickled_name}>"


class Placeholder(metaclass=_PlaceholderMeta):
    """An object of a class this project does not have (e.g. the original's ``Settings``): its pickled state, inert.

    ``pickled_module`` / ``pickled_name`` say which class the file named; ``pickled_args`` holds the
    arguments pickle passed to ``__new__``, ``pickled_state`` what ``BUILD`` set (usually the object's
    ``__dict__``), ``pickled_items`` / ``pickled_list`` what a dict or list subclass held.
    """

    pickled_module = ""
    pickled_name = ""

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        instance.__dict__.update(pickled_args=args, pickled_kwargs=kwargs, pickled_state=None,
                                 pickled_items={}, pickled_list=[])
        return instance

    def __setstate__(self, state) -> None:
        self.__dict__["pickled_state"] = state

    def __setitem__(self, key, value) -> None:  # SETITEMS of a pickled dict subclass (EasyDict ...)
        self.pickled_items[key] = value

    def append(self, value) -> None:  # APPENDS of a pickled list subclass
        self.pickled_list.append(value)

    def extend(self, values) -> None:
        self.pickled_list.extend(values)

    def __repr__(self) -> str:
        return f"<placeholder {self.pickled_module}.{self.pickled_name}>"


_placeholder_classes: dict = {}


def placeholder_class(module: str, name: str) -> type:
    """The (cached) placeholder class standing for ``module.name``."""
    key = (module, name)
    if key not in _placeholder_classes:
        _placeholder_classes[key] = _PlaceholderMeta(
            str(name), (Placeholder,), {"pickled_module": module, "pickled_name": name,
                                        "__module__": __name__, "__qualname__": f"Placeholder[{module}.{name}]"})
    return _placeholder_classes[key]


# ------------------------------------------------------------------------------------------- allowlist
def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for ``bytes``: only ``(str, 'latin1')`` is accepted."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise RefusedPickleError(f"the file calls _codecs.encode with {type(text).__name__}, {encoding!r}; only "
                                 f"the (str, 'latin1') form that pickles bytes is allowed")
    return text.encode("latin1")


def _allowed_globals() -> dict:
    """``'module.name' -> object`` of every global a checkpoint may name and get the real thing for."""
    allowed: dict[str, Any] = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.defaultdict": collections.defaultdict,
        "collections.Counter": collections.Counter,
        "collections.deque": collections.deque,
        "torch.Size": torch.Size,
        "torch.device": torch.device,
        "torch.Tensor": torch.Tensor,
        "torch.nn.parameter.Parameter": torch.nn.Parameter,
        "torch.serialization._get_layout": torch.serialization._get_layout,
        "torch._tensor._rebuild_from_type_v2": torch._tensor._rebuild_from_type_v2,
        "_codecs.encode": _latin1_bytes,
    }
    for rebuild in ("_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_parameter",
                    "_rebuild_parameter_with_state", "_rebuild_meta_tensor_no_storage"):
        if hasattr(torch._utils, rebuild):  # the set differs a little between torch versions
            allowed[f"torch._utils.{rebuild}"] = getattr(torch._utils, rebuild)
    for plain in (dict, list, tuple, set, frozenset, int, float, complex, str, bytes, bytearray, bool, slice):
        allowed[f"builtins.{plain.__name__}"] = plain
    for storage_class in torch._storage_classes:
        allowed[f"{storage_class.__module__}.{storage_class.__name__}"] = storage_class
        allowed[f"torch.{storage_class.__name__}"] = storage_class
    for value in vars(torch).values():
        if isinstance(value, (torch.dtype, torch.layout, torch.memory_format)):
            allowed[str(value)] = value  # 'torch.float32', 'torch.strided', ...
    return allowed


_ALLOWED = _allowed_globals()

# Modules whose globals can run code, read or write files, or reach other objects: never a placeholder,
# always refused by name (any submodule too). torch itself is here: its allowed globals are listed above.
_DANGEROUS_MODULES = frozenset({
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "sys", "builtins", "__builtin__", "__main__",
    "importlib", "imp", "runpy", "pkgutil", "shutil", "socket", "ctypes", "cffi", "pickle", "_pickle",
    "cPickle", "copyreg", "copy_reg", "marshal", "code", "codeop", "pty", "multiprocessing", "concurrent",
    "threading", "_thread", "asyncio", "signal", "webbrowser", "operator", "_operator", "functools", "types",
    "inspect", "io", "_io", "tempfile", "glob", "platform", "site", "gc", "ast", "dis", "timeit", "pdb", "bdb",
    "trace", "cProfile", "profile", "zipimport", "shelve", "dbm", "http", "urllib", "ftplib", "smtplib",
    "telnetlib", "xmlrpc", "requests", "setuptools", "distutils", "pip", "torch", "dill", "joblib",
    "cloudpickle", "_codecs", "codecs", "_posixsubprocess", "commands",
})
# Names refused whatever module claims them.
_DANGEROUS_NAMES = frozenset({
    "system", "popen", "Popen", "eval", "exec", "execfile", "compile", "__import__", "import_module", "getattr",
    "setattr", "delattr", "globals", "locals", "vars", "open", "input", "breakpoint", "call", "check_call",
    "check_output", "run", "spawn", "spawnl", "spawnv", "execv", "execve", "execl", "fork", "kill", "remove",
    "unlink", "rmtree", "rmdir", "load", "loads", "apply", "attrgetter", "methodcaller", "partial",
})


def refusal(module: str, name: str) -> str | None:
    """Why ``module.name`` is refused, or None when it may stand as a placeholder."""
    root = module.split(".", 1)[0]
    if root in _DANGEROUS_MODULES or name in _DANGEROUS_NAMES or name.split(".", 1)[0] in _DANGEROUS_NAMES:
        return (f"the file asks for {module}.{name}, which can run code; it is not a checkpoint this project "
                f"loads (no code of the file was run)")
    if "." in name or name.startswith("__"):
        return f"the file asks for the nested or special name {module}.{name}; refused"
    return None


# -------------------------------------------------------------------------------------------- unpickler
class Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` never imports: allowlisted objects, refusals, placeholders."""

    def find_class(self, module: str, name: str):
        # Protocol 0-2 pickles name Python 2 modules (torch.save writes protocol 2: '__builtin__' for builtins);
        # the default find_class maps them back, ours must too.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        key = f"{module}.{name}"
        if key in _ALLOWED:
            return _ALLOWED[key]
        reason = refusal(module, name)
        if reason is not None:
            raise RefusedPickleError(reason)
        return placeholder_class(module, name)


def load(file, **kwargs):
    """``pickle.load`` through :class:`Unpickler` (torch calls this for the headers of legacy files)."""
    return Unpickler(file, **kwargs).load()


def loads(data: bytes, **kwargs):
    """``pickle.loads`` through :class:`Unpickler`."""
    import io

    return Unpickler(io.BytesIO(data), **kwargs).load()
