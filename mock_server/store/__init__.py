"""All of the mock's state. Nothing here knows about HTTP: handlers translate."""
