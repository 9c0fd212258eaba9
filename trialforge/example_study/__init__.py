"""trialforge/example_study"""
