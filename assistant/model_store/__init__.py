"""The model store: every trained model with the data it was made of, its evaluation against
the live model, and which model is live. The staff console trains, compares, activates and
rolls back (assistant/console/model_pages.py); the model server (server.py) hands the live
model to every Rasa instance, which pulls it through Rasa's own `models:` endpoint
(endpoints.yml) and swaps it in without a restart (assistant/rasa_patches.py).
"""
