"""Forces sent down (干部下沉): cadres, the reserve pool, deployments to hosts, and what the host makes of them."""
