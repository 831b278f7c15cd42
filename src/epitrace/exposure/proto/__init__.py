"""Protobuf messages of the key export format, built from a descriptor (see export.proto)."""
