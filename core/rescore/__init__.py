"""Re-scoring of uncertain pairs after a model scan: rotated copies turned upright, cropped copies compared with the
crop undone.
"""
