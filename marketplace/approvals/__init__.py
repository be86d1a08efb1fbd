"""Four eyes: decisions one operator asks for and another approves before they are carried out."""
