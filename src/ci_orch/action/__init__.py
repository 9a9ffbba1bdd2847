"""The GitHub Actions runtime: the Docker action's inputs, outputs and workspace, workflow
commands, and the publishers that write to the runner itself (annotations, step summary)."""
