# The Rasa server imports this package at start-up (credentials.yml, config.yml): the place
# to apply the project's fixes to Rasa internals, in the Rasa server process only.
from assistant import rasa_patches

rasa_patches.apply()
