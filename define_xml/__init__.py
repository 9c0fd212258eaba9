"""Define-XML 2.1 (with ARM 1.0) from the spec and the datasets written, our define.html view, and the checks
of our own file (schema, references). define.xml against the data: the conformance rules TF-DF-* (validation).

- `build.build_define(spec, datasets, created=...)`: the define.xml tree (pure).
- `writer.write_define(tree, path)`, `html.render_define_html(tree, path)`.
- `checks.validate_schema(path, schema)`, `checks.check_references(tree)` (`assert_references` in the build).
- `package.write_package_define(spec, folder, kind, created, stylesheet)`: the build's define stage.
"""
