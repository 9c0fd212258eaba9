from trialforge.cli import run

run()
