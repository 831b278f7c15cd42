"""Web shell: templates, static assets, translations and page helpers shared by domains."""
