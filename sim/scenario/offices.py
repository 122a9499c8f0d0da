"""The kinds of office a case passes through, named once for every layer.

``OFFICES`` in route order of the manual pathway: the RT head, the Lurah (kelurahan), the
Camat (kecamatan), then the three agencies (``AGENCIES``): Dinas Sosial, Dinas Kesehatan
and BPJS Kesehatan. The scenario's ``offices`` section has one table per kind; the
model has one desk per office; outputs have a queue column per kind.
"""

from __future__ import annotations

AGENCIES = ("dinsos", "dinkes", "bpjs")
OFFICES = ("rt", "lurah", "camat", *AGENCIES)
