"""What Connexion writes handlers' answers with: orjson, through Connexion's public `jsonifier`
(which takes any module with `dumps` and `loads`), and the standard library for the values orjson
refuses (a lone surrogate a client stored, an integer past 64 bits). bench/RESULTS.md has the figures."""
from __future__ import annotations

import json

import orjson
from connexion.jsonifier import Jsonifier


class _Codec:
    @staticmethod
    def dumps(data, **kwargs) -> str:
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # orjson.JSONEncodeError
            return json.dumps(data, **kwargs)

    loads = staticmethod(json.loads)


JSONIFIER = Jsonifier(json_=_Codec)
