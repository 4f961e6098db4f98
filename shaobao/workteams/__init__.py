"""Village work teams (驻村工作队): issue 11, point 3."""
