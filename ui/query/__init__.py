"""Search by example images (drag and drop, paste) or by text, and the results grid."""
