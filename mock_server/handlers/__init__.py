"""HTTP ↔ store translation, one method per operationId. No state and no rules live
here: handlers read parameters, call the store, and shape the documented body."""
