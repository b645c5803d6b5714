"""Rendered text for every screen: fonts by size, and strings rendered once by (text, colour,
size, shadow), since a screen redraws the same few strings sixty times a second."""

from __future__ import annotations

import pygame

from game.window.scene import shadowed

Color = tuple[int, int, int]


class TextCache:
    def __init__(self, limit: int = 600) -> None:
        self.limit = limit  # strings kept before the cache starts again (a clock makes new ones)
        self._fonts: dict[int, pygame.font.Font] = {}
        self._cache: dict[tuple[str, Color, int, bool], pygame.Surface] = {}

    def font(self, size: int) -> pygame.font.Font:
        font = self._fonts.get(size)
        if font is None:
            if not pygame.font.get_init():
                pygame.font.init()
            font = self._fonts[size] = pygame.font.Font(None, size)
        return font

    def get(self, text: str, color: Color, size: int, shadow: bool = False) -> pygame.Surface:
        key = (text, color, size, shadow)
        surface = self._cache.get(key)
        if surface is None:
            if len(self._cache) > self.limit:
                self._cache.clear()
            font = self.font(size)
            surface = shadowed(font, text, color) if shadow else font.render(text, True, color)
            self._cache[key] = surface
        return surface
