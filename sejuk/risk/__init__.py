"""Early warning: indicators, vulnerability index per kelurahan per day, forecasts, alerts."""
