"""The snapshot format, owned here and nowhere else (docs/snapshot-format.md).

`layout`: file names, id patterns, format version, the collections.
`digest`: SHA-256. `manifest`: the typed, strictly parsed manifest.json and its
serialiser. `storage`: the one seam to the file system. `validate`: the one
validator every command reads through. `tree`: where tenants and snapshots
are. `chain`: a tenant's chain of manifests.
Capture writes and analysis reads through this package; it depends only on
entra_kri.errors. Nothing is imported here, so capture loads no more than it uses.
"""
