"""The converters behind scripts/convert_pretrained.py, one module per source: `common` (shared
helpers: package files, check images, atomic writing), `efficientnet_lite0`, `dinov2` and
`hed`. What each converts and how it is checked: docs/pretrained-conversion.md."""
