"""`ci-orch generate`: unified-diff patches from the models, checked before anything is written.

See docs/generate.md. The model's text is data: patches are parsed and checked with
`git apply --check` against a throwaway index, never applied to the workspace or executed.
"""
