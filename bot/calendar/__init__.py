"""The calendar as the core sees it: free slots and iCalendar documents (RFC 5545/5546)."""
