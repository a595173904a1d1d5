"""SLAs: business calendars and the response and resolve clocks of tickets."""
