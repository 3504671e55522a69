"""Reading structured files with errors that name the file."""
import json
import pickle
from typing import Any


def _describe(path: str, err: Exception) -> str:
    if isinstance(err, json.JSONDecodeError):
        return (f'{path}: not valid JSON ({err.msg} at line {err.lineno}, '
                f'column {err.colno})')
    if isinstance(err, (EOFError, pickle.UnpicklingError)):
        return f'{path}: not a readable pickle ({type(err).__name__}: {err})'
    mark = getattr(err, 'problem_mark', None)  # yaml errors
    if mark is not None:
        return (f'{path}: not valid YAML ({getattr(err, "problem", err)} at '
                f'line {mark.line + 1}, column {mark.column + 1})')
    return f'{path}: cannot be parsed ({type(err).__name__}: {err})'


def _parse_errors() -> tuple:
    errors = [json.JSONDecodeError, EOFError, pickle.UnpicklingError,
              UnicodeDecodeError]
    try:
        import yaml
        errors.append(yaml.YAMLError)
    except ImportError:  # pragma: no cover - yaml comes with mmengine
        pass
    return tuple(errors)


def load_structured(path: str, hint: str = '') -> Any:
    """``mmengine.load`` (JSON / YAML / pickle by extension) that turns a
    parse error into a ``ValueError`` naming the file and the position.

    Args:
        path (str): The file.
        hint (str): How to fix it, appended to the message. Defaults to
            saying the file may be truncated.
    """
    import mmengine
    try:
        return mmengine.load(path)
    except _parse_errors() as e:
        raise ValueError(
            _describe(path, e) + '. ' +
            (hint or 'The file may be truncated or not the format its '
             'extension says: rebuild or re-copy it.')) from e


def load_json(path: str, hint: str = '') -> Any:
    """``json.load`` of a file; a parse error becomes a ``ValueError`` that
    names the file, line and column (see :func:`load_structured`)."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(
            _describe(path, e) + '. ' +
            (hint or 'The file may be truncated or not JSON: rebuild or '
             're-copy it.')) from e


def load_pickle(path: str, hint: str = '') -> Any:
    """``pickle.load`` of a file; a truncated or foreign file becomes a
    ``ValueError`` that names it (see :func:`load_structured`)."""
    try:
        with open(path, 'rb') as f:
            return pickle.load(f)
    except (EOFError, pickle.UnpicklingError, UnicodeDecodeError) as e:
        raise ValueError(
            _describe(path, e) + '. ' +
            (hint or 'The file may be truncated: rebuild or re-copy it.')
        ) from e
