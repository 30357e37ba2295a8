"""Deliberately broken mocks: each variant patches the bundled mock in-process so
that it breaks one documented clause, to prove the contract suite notices."""
