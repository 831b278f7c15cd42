"""On-device privacy mode: check-ins stay on phones; signed hotspot notices; anonymous counts."""
