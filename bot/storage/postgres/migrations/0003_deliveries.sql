-- Placeholder: posture, schedule, reminders, coach (in progress).
SELECT 1;
