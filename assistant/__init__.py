"""The project's own code on the Rasa server side: channels (the edge) and NLU components.

Rasa loads these by dotted path (credentials.yml, config.yml), so the server and the tests
import them the same way.
"""
