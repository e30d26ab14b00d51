"""The loader's parts: `files` (finding and reading files safely), `yamldoc` (YAML to plain documents with
positions), `documents` (one document to one validated Manifest). `reconciler.loader` puts them together."""
