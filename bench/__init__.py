"""The benchmark: speed, cost and accuracy of the assistant beside Rasa's default pipeline.

    make bench             # the full run, writes bench/RESULTS.md (about 40 minutes)
    make bench QUICK=1     # seconds of load on the trained model only: checks the harness works
"""
