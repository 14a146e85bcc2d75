"""Intake's pure domain: contact models, identities, threading, language, priority, channel
adapters and signatures."""
