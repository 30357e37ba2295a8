"""Variants of the bundled mock that prove the contract suite's verdicts both ways.

- `broken.py`: each breaks one documented clause; the suite must fail it (in mock mode
  and in foreign mode).
- `legitimate.py`: each differs from the mock only where the docs are silent; the suite
  must pass it in foreign mode, where it checks what the docs state and nothing more.

`serve.py` serves one of them; `runner.py` runs the suite against one.
"""
