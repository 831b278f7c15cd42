"""A citizen's rights over their data (decree 13/2023/NĐ-CP): see, download, who read it, erase."""
