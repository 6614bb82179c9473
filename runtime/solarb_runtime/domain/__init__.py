"""Domain types shared by every layer: keys, amounts, quotes, errors."""
