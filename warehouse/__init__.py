"""The bottom of the house: settings (every TRUST_* variable) and the warehouse connection.

Imports nothing of this project; data/, queries/, store/ and auth/ build on it.
"""
