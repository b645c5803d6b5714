"""Pure player logic, shared by the window, bots and scripted players: prediction and
reconciliation (player), path finding (navigate), scripted input (autopilot)."""
