"""The spec model: P21-style workbooks read into frozen, typed tables and checked."""
