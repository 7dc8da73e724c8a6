"""The Transformer: scaled dot-product attention, multi-head attention, positions, pre-norm blocks, a small GPT."""
