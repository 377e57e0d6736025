"""Publishing the scorecard snapshot once every blocking check upstream has passed."""
