"""Secondary screens of the gate app: unsynced passages and conflicts, supervisor override."""
