"""Duplicate groups per tier (exact, perceptual, copy, similar) from what the store holds, chain-safe clustering, keep
rules and the person's 'not duplicates' decisions.
"""
