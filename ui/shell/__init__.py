"""The frame: main window, actions and menus, window settings, thumbnails and formatting helpers."""
