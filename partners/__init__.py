"""Partner agencies and their services (the local asset map), and the partner portal views."""
