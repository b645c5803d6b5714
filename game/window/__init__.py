"""The player window: the only code in `game` that imports pygame.

client (the loop: keys in, actions out, log in), scene (the arena, shared with the spectator),
hud (the bar and overlays), art (sprites and sounds drawn by code), headless (shared flags,
screenshots, the closing summary line)."""
