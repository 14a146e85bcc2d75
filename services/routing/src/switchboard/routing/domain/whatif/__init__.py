"""What-if: a recorded day replayed through the real routing index under other policies or
another staffing, in simulated time."""
