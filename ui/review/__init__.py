"""Review: the duplicate groups of each tier, keep marks and reasons, the compare view and the keep rules."""
