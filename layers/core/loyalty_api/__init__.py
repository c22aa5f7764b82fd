"""What every API function shares: the resolver, the error envelope, JSON with exact decimals."""
