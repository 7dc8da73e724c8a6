"""Deep (stacked) recurrent networks: model builders, data, training, and the adding-problem comparison."""
